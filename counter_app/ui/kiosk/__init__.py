"""The ticket kiosk."""

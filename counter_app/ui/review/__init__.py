"""The back-office reviewer's window."""

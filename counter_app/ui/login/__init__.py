"""The login window and the first start of a new centre."""

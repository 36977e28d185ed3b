"""What every window stands on: the application and its shell, the language, background operations, the change notification, crash handling, the status line, the in-process sync and printing."""

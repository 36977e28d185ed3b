"""The supervisor's window: the day, users, counters, printers, the back office, the dashboard and its charts."""

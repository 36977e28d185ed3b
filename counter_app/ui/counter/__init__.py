"""The counter clerk's window: the queue panel, the intake of an application, delivery and the cash desk."""

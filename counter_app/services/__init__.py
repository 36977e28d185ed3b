"""The use cases the windows call, one module per window family, Qt-free and tested without Qt.

Each function is one user action: it opens the transaction (``db.begin()`` to write,
``db.read()`` to read), calls the core's functions with the session and returns plain frozen
data (``views``), so a window never holds an ORM object and never runs SQL. Nothing is imported
here: the login window shows before SQLAlchemy loads.
"""

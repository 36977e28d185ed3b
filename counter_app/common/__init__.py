"""Qt-free leaf shared by every program (counter app, display, printers, sync agent, central
server): the language mechanism and the formatting of domain values, receipt signing
(``signing``, with ``cryptography``) and the one database engine factory (``engine``, the only
module here that imports SQLAlchemy). Imports the standard library, Babel, ``cryptography`` and,
in ``engine`` alone, SQLAlchemy; never Qt and never ``counter_app.core``."""

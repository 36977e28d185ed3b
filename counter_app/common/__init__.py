"""Qt-free leaf shared by every program (counter app, display, printers, sync agent, central
server): the language mechanism and the formatting of domain values. Imports only the standard
library and Babel."""

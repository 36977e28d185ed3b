"""Appointments at the central server (issue 20, items 1 and 2's server side): slot rules and
closed days per centre and service group (:mod:`.slots`, managed through :mod:`.manage`), the
citizen's bookings (:mod:`.bookings`) and their HTTP API (:mod:`.routes`); a centre's pull of its
bookings and its check-ins (:mod:`.centre_pull`).

Left for later, and fitted for by the tables: the booking portal's pages, the SMS with the code
and the QR link, reminders (``Booking.mobile``, ``lang``) and no-shows at day close (``no_show``)."""

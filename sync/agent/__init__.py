"""The centre's sync agent: sends the outbox to the central server, pulls the catalogue, holds
the centre's sending lease, enrols the centre and records what it did (``state``)."""

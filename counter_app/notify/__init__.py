"""The citizens' notifications going out: the SMTP and HTTP SMS-gateway senders and the dispatcher
that moves each queued message through pending → sent → delivered (or failed)."""

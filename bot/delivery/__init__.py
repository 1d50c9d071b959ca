"""From a platform update to a delivered reply: receiving, the inbox worker, the unit of work
that runs a turn, and the outbox sender. Channel-neutral: adapters come in as plug-ins."""

"""The lead lifecycle as pure event-sourced aggregates: rules, events and the application service.

Nothing here performs I/O of its own or imports infrastructure; persistence is chosen by the
environment the application service is constructed with (see ``infra.eventstore``).
"""

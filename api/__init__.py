"""The HTTP edge: routes translate HTTP into commands (application service) and queries
(projections); nothing here decides business rules."""

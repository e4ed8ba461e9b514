"""Start-up: one RefDesk per database, the database checked before it is used (the recovery screen when
it is damaged), problems of the environment in plain words, and the full check on a worker once the
desk is open."""

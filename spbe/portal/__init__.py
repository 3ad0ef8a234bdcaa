"""The self-service portal: server-rendered pages where OPD admins, assessors and coordinators answer from
a personal link (spbe.portal.links), through the same services as the CLI."""

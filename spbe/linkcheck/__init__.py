"""Evidence link checks: is each submitted link reachable by an assessor, and safe for this server to fetch?

`policy` is pure (which URLs and addresses may be fetched), `net` enforces it at connect time, `checker`
fetches with httpx, and `service` collects the links, records their status and tells the OPDs.
"""

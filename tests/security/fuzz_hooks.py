"""schemathesis hooks for row 3 (loaded through SCHEMATHESIS_HOOKS).

The schema documents the 414 once, in `info` (issue 11): the web server answers a request line
over about 4 KB with its own page before any operation runs, and no schema-valid request is that
long. A fuzzed query can be, so each operation is given that answer here, as the server sends it.
"""

import schemathesis

URI_TOO_LONG = {
    "description": "The web server's answer to a path and query over about 4 KB (not JSON).",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


@schemathesis.hook
def before_load_schema(context, raw_schema):
    for operations in raw_schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("414", URI_TOO_LONG)

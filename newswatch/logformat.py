"""`--log-format json`: one JSON object a line, for a log shipper.

Fields: time (UTC, ISO 8601), level, stage (the thread a stage runs in under `newswatch
run`, else the command), logger, message, and feed_id / article_id / alert_id when the log
call passes them (`extra={"feed_id": ...}`). Feed text in a message stays a JSON string.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

CONTEXT = ("feed_id", "article_id", "alert_id")
STAGES = {"collector", "processor", "alerter"}


class JsonFormatter(logging.Formatter):
    def __init__(self, command: str = "") -> None:
        super().__init__()
        self.command = command

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "stage": record.threadName if record.threadName in STAGES else self.command,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)

"""newswatch: the shared package.

Everything the three stages (collectors, processors, alerts) have in common lives here:
message types, topic names, settings, Kafka helpers, config-file loading, the CLI and the
local-Kafka launcher. The stage packages import from here and never from each other.
"""

__version__ = "0.1.0"

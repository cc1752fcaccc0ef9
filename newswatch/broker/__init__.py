"""Kafka for newswatch: client factories with the delivery guarantees, topic admin, the
local single-node broker launcher, and the consume-process-commit loop the stages share."""

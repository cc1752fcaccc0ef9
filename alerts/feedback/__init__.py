"""Officers' marks on alerts: Slack buttons in, labelled examples in Kafka out.

actions.py   the buttons on a message and the values they carry (alert id and action only)
clicks.py    reading a verified Slack payload into clicks (plain, no I/O)
book.py      the marks and mutes so far, rebuilt from `newswatch.feedback`
writer.py    making a mark durable in Kafka before the click is acknowledged
server.py    `newswatch feedback serve`: the signed interactivity endpoint
report.py    precision from the marks (`feedback report`), terminal and HTML
labels.py    marks as labels for `replay --labels feedback`
"""

"""Identifiers shared by the listeners and the Block Kit builders."""

COMMAND = "/incident"

NOMINATE_ACTION = "nominate_communicator"
NOMINATE_BLOCK_PREFIX = "nominate:"

DECLARE_VIEW = "declare_incident"
SEVERITY_BLOCK = "severity"
SEVERITY_ACTION = "severity_select"
TITLE_BLOCK = "title"
TITLE_ACTION = "title_input"
COMMUNICATOR_BLOCK = "communicator"
COMMUNICATOR_ACTION = "communicator_select"

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

APPROVE_ACTION = "entry_approve"
EDIT_ACTION = "entry_edit"
REJECT_ACTION = "entry_reject"
CORRECT_ACTION = "entry_correct"

UPDATE_VIEW = "draft_update"
EDIT_VIEW = "edit_draft"
CORRECT_VIEW = "correct_entry"
TEXT_BLOCK = "text"
TEXT_ACTION = "text_input"
PHASE_BLOCK = "phase"
PHASE_ACTION = "phase_select"
CAUSE_BLOCK = "cause"
CAUSE_ACTION = "cause_input"

REMINDER_DRAFT_ACTION = "reminder_draft_update"
NO_NEWS_ACTION = "draft_no_new_information"

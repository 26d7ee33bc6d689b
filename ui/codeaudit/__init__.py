"""The Code audit tab: scan a file or folder of Python and notebooks, filter the findings, preview the
offending line (secrets masked), export CSV, and attach the stored run as checklist evidence."""

"""What staff may do with the form engine's records."""

from musubi.platform.accounts.permissions import declare

REVIEW_CORRECTIONS = declare(
    "forms.review_corrections",
    "住民記録の誤り報告の確認・対応",
    "Review and act on residents' reports of registry errors",
)

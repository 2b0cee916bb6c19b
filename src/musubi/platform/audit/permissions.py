"""Permissions of the audit trail."""

from musubi.platform.accounts.permissions import declare

declare("audit.view", "監査記録の閲覧", "Browse the audit trail")
declare("audit.export", "監査記録の出力", "Export the audit trail as CSV")

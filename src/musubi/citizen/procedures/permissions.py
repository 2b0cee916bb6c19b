"""What staff may do with online procedures; granted per department in accounts/data/grants.json."""

from musubi.platform.accounts.permissions import declare

VIEW = declare("procedures.view", "所管課の申請の閲覧", "See the applications of one's department")
PROCESS = declare(
    "procedures.process",
    "申請の受付・審査・差戻し",
    "Receive and review applications, request corrections",
)
DECIDE = declare(
    "procedures.decide", "申請の承認・却下・完了", "Approve, reject and complete applications"
)
COUNTER = declare(
    "procedures.counter", "窓口での代行入力（書かない窓口）", "Fill in applications at the counter"
)
MANAGE_CATALOGUE = declare(
    "procedures.manage_catalogue", "手続カタログの管理", "Manage the procedure catalogue"
)
EXPORT = declare("procedures.export", "申請データの出力", "Export application data")

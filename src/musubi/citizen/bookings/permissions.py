"""What staff may do with bookings; granted per department in accounts/data/grants.json."""

from musubi.platform.accounts.permissions import declare

MANAGE = "bookings.manage"
declare(
    MANAGE,
    "施設・窓口予約の管理（代理予約・受付停止・取消）",
    "Manage facility and counter bookings (book for callers, block, cancel)",
)

CHECKUPS = "bookings.checkups"
declare(
    CHECKUPS,
    "検診の申込・予約の管理（代理申込・案内の送信・申込一覧）",
    "Manage health check-ups (apply for callers, send the notice, see applications)",
)

"""What staff may do with the notification hub (grants: accounts/data/grants.json)."""

from musubi.platform.accounts.permissions import declare

VIEW = declare("notify.view", "お知らせと配信状況の閲覧", "See notices, their reach and deliveries")
SEND = declare("notify.send", "お知らせの作成・送信", "Compose and send routine notices")
EMERGENCY = declare("notify.emergency", "緊急のお知らせの送信", "Send emergency notices")
APPROVE = declare(
    "notify.approve",
    "緊急のお知らせの承認（第二承認者）",
    "Approve emergency notices (second approver)",
)

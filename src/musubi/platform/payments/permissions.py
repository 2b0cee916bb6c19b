"""What staff may do with payments; granted per department in accounts/data/grants.json."""

from musubi.platform.accounts.permissions import declare

VIEW = declare("payments.view", "支払の閲覧・CSV出力", "See and export payments")
REFUND = declare("payments.refund", "支払の返金", "Refund payments")

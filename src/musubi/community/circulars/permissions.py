"""What city staff may do with the 電子回覧板; granted per department in accounts/data/grants.json.

Neighbourhood leaders (区長・組長) are residents, not staff: what they may do follows from
their Leader rows (``leaders.py``), not from these codes.
"""

from musubi.platform.accounts.permissions import declare

MANAGE = declare(
    "circulars.manage", "区長・組長の任命と解任", "Appoint and end neighbourhood leaders"
)
POST = declare(
    "circulars.post",
    "回覧板の掲載と既読・回答の確認（全区）",
    "Post circulars and see reads and replies (every district)",
)

"""What staff may do with the open data catalogue; granted per department in grants.json."""

from musubi.platform.accounts.permissions import declare

PUBLISH = declare(
    "opendata.publish",
    "所管課のオープンデータの登録・更新",
    "Publish and update the open data of one's department",
)

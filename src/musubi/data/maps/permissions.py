"""What staff may do with map layers; granted per department in accounts/data/grants.json."""

from musubi.platform.accounts.permissions import declare

VIEW_INTERNAL = declare(
    "maps.view_internal", "庁内向け地図レイヤの閲覧", "See internal map layers"
).code
EDIT = declare(
    "maps.edit", "所管課の地図レイヤの地物の編集", "Edit features of one's department's layers"
).code
IMPORT = declare("maps.import", "地図レイヤへのデータ取込", "Import data into map layers").code
MANAGE_LAYERS = declare(
    "maps.manage_layers",
    "所管課の地図レイヤの作成・変更・削除",
    "Create, change and delete one's department's map layers",
).code

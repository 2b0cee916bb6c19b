"""What the shell shows around every page: the city's name, the staff menu, text sizes.

Staff links are shown only to those allowed to follow them. The permission is read
from the target view itself (``staff_required`` marks it with ``staff_permission``),
so a menu entry can never disagree with the guard on the page it points to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.models import Department, User
from musubi.platform.residents import services as residents

TEXT_SIZES: dict[str, Promise] = {"m": _("標準"), "l": _("大"), "xl": _("特大")}
DEFAULT_TEXT_SIZE = "m"
TEXT_SIZE_COOKIE = "text_size"


@dataclass(frozen=True)
class Link:
    """A place in the staff portal: where it is, what it is called, what it is for."""

    url_name: str
    label: Promise
    description: Promise | str = ""


STAFF_NAV = (
    Link("ui:staff_dashboard", _("ダッシュボード")),
    Link("residents:search", _("住民記録")),
    Link("audit:list", _("監査記録")),
)

DASHBOARD_TILES = (
    Link("residents:search", _("住民記録"), _("住民・世帯を検索し、記録を確認します。")),
    Link(
        "residents:import",
        _("住民記録の取込"),
        _("CSVファイルから住民記録を一括で取り込みます。"),
    ),
    Link("audit:list", _("監査記録"), _("個人情報の閲覧・変更の記録を確認し、書き出します。")),
    Link(
        "procedures:staff_inbox",
        _("申請の受付箱"),
        _("所管課に届いた申請を確認し、受付・審査・承認を行います。"),
    ),
    Link(
        "notify:staff_messages",
        _("お知らせ配信"),
        _("世帯・区・組・対象者へお知らせを送り、届いたかを確かめます。緊急配信もここから。"),
    ),
    Link(
        "circulars:staff_index",
        _("回覧板"),
        _("区・組への回覧を出し、既読と回答を確認します。区長・組長の任命もここから。"),
    ),
    Link(
        "bookings:staff_index",
        _("施設・窓口予約"),
        _("予約の確認、電話・窓口での代理予約、受付停止、来庁者の受付と呼出しを行います。"),
    ),
    Link(
        "payments:staff_list",
        _("支払の管理"),
        _("使用料・手数料の支払を確認し、返金します。"),
    ),
    Link(
        "maps:staff",
        _("地図（職員用）"),
        _("庁内限定のレイヤを含む地図を見て、地物を編集・取込します。"),
    ),
    Link(
        "opendata:staff_list",
        _("オープンデータの管理"),
        _("データセットを登録・更新し、更新期限を過ぎたものを確認します。"),
    ),
    Link("api-docs", _("API仕様"), _("外部システム連携のためのAPI仕様書を表示します。")),
    Link(
        "api_tokens:list",
        _("APIトークン"),
        _("外部システムに発行したAPIトークンを確認・発行・失効します。"),
    ),
    Link(
        "accounts:staff_passkeys",
        _("パスキーの管理"),
        _("ログインに使うパスキーを登録・削除します。"),
    ),
)


def city_name(language: str = "ja") -> str:
    """The municipality's name from the city data file (``name``, or ``name_en`` in English)."""
    try:
        city = residents.load_city()
    except (OSError, ValueError):
        return ""
    if language != "ja" and city.get("name_en"):
        return city["name_en"]
    return city.get("name", "")


def normalise_text_size(value: str | None) -> str:
    """A known text-size key; anything else (a stale or forged cookie) means the default."""
    return value if value in TEXT_SIZES else DEFAULT_TEXT_SIZE


def url_or_empty(url_name: str) -> str:
    """The path of ``url_name``, or "" while the app that owns it is not installed yet."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


def may_open(user: User | AnonymousUser, path: str) -> bool:
    """Whether ``user`` passes the staff guard of the view at ``path``."""
    if not accounts.is_staff_member(user):
        return False
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    code = getattr(view, "staff_permission", None)
    if code is None:
        return True
    try:
        return accounts.has_permission(user, code)
    except LookupError:
        return False


def visible_links(user: User | AnonymousUser, links: tuple[Link, ...]) -> list[tuple[Link, str]]:
    """The links that exist and that ``user`` may open, each with its path."""
    shown = []
    for link in links:
        path = url_or_empty(link.url_name)
        if path and may_open(user, path):
            shown.append((link, path))
    return shown


def staff_roles(user: User) -> list[tuple[Department, str]]:
    """(department, role label) for each of ``user``'s memberships, in department order."""
    memberships = user.memberships.select_related("department").order_by("department__order")
    return [(m.department, m.get_role_display()) for m in memberships]

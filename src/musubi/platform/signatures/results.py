"""The outcome of verifying a signature, as staff see it and as it is stored.

A result is a list of checks, each passed, failed or unknown, with a message key and its
parameters (not the text), so a stored result reads in whichever language the staff
member uses today. The overall status follows from the checks: any failure makes the
signature *invalid*; otherwise anything unknown (no fresh revocation list) makes it
*indeterminate*; only when everything passed is it *valid*.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from musubi.platform.languages import in_every_language


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


STATUS_LABELS = {
    Status.VALID: _("有効"),
    Status.INVALID: _("無効"),
    Status.INDETERMINATE: _("判定不能"),
}
OUTCOME_LABELS = {
    Outcome.PASSED: _("合格"),
    Outcome.FAILED: _("不合格"),
    Outcome.UNKNOWN: _("確認できず"),
}
ITEMS = {
    "format": _("署名データの形式"),
    "algorithm": _("暗号アルゴリズムの強度"),
    "digest": _("文書の同一性"),
    "signature": _("署名値"),
    "chain": _("信頼できる認証局への証明書チェーン"),
    "validity": _("証明書の有効期間"),
    "key_usage": _("署名用の証明書であること"),
    "revocation": _("失効の確認（CRL）"),
}
MESSAGES = {
    "format_ok": _("CMS署名（SignedData）として読み取りました。"),
    "format_bad": _("CMS署名（PKCS#7 SignedData）として読み取れません。"),
    "signer_count": _("署名者は1人である必要があります（%(count)s人）。"),
    "signer_missing": _("署名者の証明書が署名データに含まれていません。"),
    "algorithm_ok": _("%(digest)s と RSA %(bits)s ビット鍵が使われています。"),
    "weak_digest": _(
        "ハッシュ関数 %(name)s は弱いため受け付けられません（SHA-256以上が必要です）。"
    ),
    "weak_key": _(
        "「%(subject)s」の鍵は %(bits)s ビットで短すぎます（RSA 2048ビット以上が必要です）。"
    ),
    "unsupported": _("署名アルゴリズム %(name)s には対応していません。"),
    "digest_ok": _("文書は署名されたときから変更されていません。"),
    "digest_changed": _("文書が署名されたときから変更されています。"),
    "attributes_bad": _("署名属性の contentType または messageDigest が正しくありません。"),
    "signature_ok": _("署名値を署名者の公開鍵で検証しました。"),
    "signature_bad": _(
        "署名値を署名者の公開鍵で検証できません（文書または署名が改変されています）。"
    ),
    "chain_ok": _("証明書は信頼できる認証局「%(anchor)s」につながっています。"),
    "chain_untrusted": _("証明書が信頼できる認証局につながりません。"),
    "chain_unconfigured": _("信頼する認証局が設定されていないか、読み込めません。"),
    "issuer_not_ca": _("「%(subject)s」は証明書を発行できる認証局の証明書ではありません。"),
    "critical_extension": _("証明書「%(subject)s」に解釈できない重要な拡張があります。"),
    "validity_ok": _("すべての証明書が署名時刻（%(time)s）と現在の両方で有効期間内です。"),
    "expired": _("証明書「%(subject)s」の有効期間は %(time)s に終わっています。"),
    "not_yet_valid": _("証明書「%(subject)s」の有効期間は %(time)s から始まります。"),
    "future_signing": _("署名時刻（%(time)s）が未来になっています。"),
    "key_usage_ok": _("署名者の証明書は電子署名用です。"),
    "key_usage_bad": _("署名者の証明書は電子署名に使えません（鍵用途）。"),
    "not_revoked": _("証明書「%(subject)s」は失効していません（%(time)s 発行のCRL）。"),
    "revoked": _("証明書「%(subject)s」は %(time)s に失効しています。"),
    "crl_missing": _("証明書「%(subject)s」の失効情報（CRL）がありません。"),
    "crl_stale": _(
        "「%(issuer)s」のCRLは次回更新日時（%(time)s）を過ぎています。失効状態を確認できません。"
    ),
    "crl_forged": _("「%(issuer)s」名義のCRLの署名を検証できません。失効状態を確認できません。"),
}


@dataclass(frozen=True)
class Check:
    """One verification step: which ``item``, its ``outcome``, and the message key + params."""

    item: str
    outcome: Outcome
    key: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(ITEMS[self.item])

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])

    @property
    def message(self) -> str:
        return str(MESSAGES[self.key]) % self.params

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    def messages(self) -> dict[str, str]:
        """The message in every configured language (ja, en), e.g. for an API body."""
        return in_every_language(lambda: self.message)


@dataclass(frozen=True)
class Signer:
    """Who signed, as the certificate says (JPKI: name and address of the resident)."""

    subject: str
    serial: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime


@dataclass(frozen=True)
class VerificationResult:
    checks: tuple[Check, ...]
    checked_at: datetime.datetime
    signer: Signer | None = None
    signing_time: datetime.datetime | None = None

    @property
    def status(self) -> Status:
        outcomes = {check.outcome for check in self.checks}
        if Outcome.FAILED in outcomes or not self.checks:
            return Status.INVALID
        if Outcome.UNKNOWN in outcomes:
            return Status.INDETERMINATE
        return Status.VALID

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def valid(self) -> bool:
        return self.status == Status.VALID

    def problems(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def to_json(self) -> dict[str, Any]:
        signer = self.signer
        return {
            "status": self.status.value,
            "checked_at": self.checked_at.isoformat(),
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "signer": signer
            and {
                "subject": signer.subject,
                "serial": signer.serial,
                "issuer": signer.issuer,
                "not_before": signer.not_before.isoformat(),
                "not_after": signer.not_after.isoformat(),
            },
            "checks": [
                {"item": c.item, "outcome": c.outcome.value, "key": c.key, "params": c.params}
                for c in self.checks
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerificationResult:
        signer = data.get("signer")
        return cls(
            checks=tuple(
                Check(c["item"], Outcome(c["outcome"]), c["key"], c["params"])
                for c in data["checks"]
            ),
            checked_at=datetime.datetime.fromisoformat(data["checked_at"]),
            signing_time=_time(data.get("signing_time")),
            signer=signer
            and Signer(
                subject=signer["subject"],
                serial=signer["serial"],
                issuer=signer["issuer"],
                not_before=datetime.datetime.fromisoformat(signer["not_before"]),
                not_after=datetime.datetime.fromisoformat(signer["not_after"]),
            ),
        )


def _time(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text) if text else None

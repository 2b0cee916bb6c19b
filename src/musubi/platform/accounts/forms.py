"""Forms for signing up and logging in; every field has a label and an autocomplete hint."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from musubi.platform.accounts import passkeys
from musubi.platform.accounts.models import User


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SignupForm(forms.Form):
    email = _email_field()
    display_name = forms.CharField(
        label=_("表示名（任意）"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        help_text=_("10文字以上。よく使われるパスワードや数字だけのものは使えません。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("パスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("このメールアドレスは既に登録されています。"))
        return email

    def clean(self) -> dict:
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("パスワードが一致しません。"))
        elif password:
            probe = User(email=data.get("email", ""), display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class LoginForm(forms.Form):
    email = _email_field()
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResendForm(forms.Form):
    email = _email_field()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=20,
        help_text=_("認証アプリに表示される6桁の数字、または回復コード。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class ResetRequestForm(PasswordResetForm):
    email = _email_field()


class ResetPasswordForm(SetPasswordForm):
    """Django's reset form with our labels (autocomplete new-password comes from Django)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新しいパスワード")
        self.fields["new_password2"].label = _("新しいパスワード（確認）")


class PasskeyForm(forms.Form):
    """A new passkey's name, and (filled in by passkey.js) the authenticator's answer."""

    name = forms.CharField(
        label=_("パスキーの名前"),
        max_length=60,
        help_text=_("どの機器のパスキーか分かる名前。例：窓口PCの指紋認証"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    credential = forms.CharField(max_length=20_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not passkeys.name_is_free(self.user, name):
            raise forms.ValidationError(_("同じ名前のパスキーが既にあります。"))
        return name


class PasskeyAnswerForm(forms.Form):
    """The authenticator's answer at the second login step, filled in by passkey.js."""

    credential = forms.CharField(max_length=20_000, widget=forms.HiddenInput)

"""Account forms, on Django's own auth forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm, UsernameField
from django.contrib.auth.hashers import make_password

from dailypapers.accounts import backends
from dailypapers.accounts.models import Profile

User = get_user_model()


def _email_taken(email: str, exclude_pk: int | None = None) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail address", help_text="We send a link to confirm it. It is never shown to others."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    @property
    def email_taken(self) -> bool:
        """Whether an account has this address already. The form does not say so (the page would
        tell anyone who owns an address); the view writes to the owner instead. Usernames are
        public, so a taken one is an error of the form."""
        return _email_taken(self.cleaned_data["email"])

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.email = self.cleaned_data["email"]
        user.is_active = False  # until the address is confirmed
        if commit:
            user.save()
            Profile.objects.update_or_create(user=user, defaults={"email_verified": False})
        return user


def account_name(typed: str) -> str:
    """The username a person signing in means: what they typed when an account has that name, else
    the one account whose e-mail address it is (usernames may hold an "@" too), else what they typed."""
    if "@" not in typed or User.objects.filter(**{User.USERNAME_FIELD: typed}).exists():
        return typed
    owners = list(User.objects.filter(email__iexact=typed).values_list(User.USERNAME_FIELD, flat=True)[:2])
    return owners[0] if len(owners) == 1 else typed


class SignInForm(AuthenticationForm):
    """Django's sign-in form, taking a username or the account's e-mail address."""

    username = UsernameField(
        label="Username or e-mail address",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct username or e-mail address, and password. "
        "Passwords are case-sensitive.",
        "unverified": "Please confirm your e-mail address first: follow the link we sent to it. "
        "No e-mail? Ask for a new link below.",
        "deactivated": "This account has been deactivated by a moderator.",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Django sizes the field for usernames (150); e-mail addresses run to 254 characters.
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254

    def clean(self):
        typed, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if typed is not None and password:
            username = self.cleaned_data["username"] = account_name(typed)
            user = password_owner(username, password)
            if user is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(user)
            user.backend = backends.PATH  # the one backend the site uses
            self.user_cache = user
        return self.cleaned_data

    def confirm_login_allowed(self, user) -> None:
        # Only someone who knows the password learns why an inactive account cannot sign in.
        if not user.is_active:
            verified = Profile.objects.filter(user=user, email_verified=True).exists()
            code = "deactivated" if verified else "unverified"
            raise forms.ValidationError(self.error_messages[code], code=code)


def password_owner(username: str, password: str):
    """The account named `username` when `password` is its password, else None, active or not.

    Exactly one password hash whatever the case (no such name, wrong password, unconfirmed or
    deactivated account), so the time a failed sign-in takes tells nothing about the account.
    (Django's authenticate() refuses inactive accounts without saying so; asking again whether
    the password was right cost a second hash, and that difference in time was visible.)"""
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None or not user.has_usable_password():
        make_password(password)  # the work a real check does
        return None
    return user if user.check_password(password) else None


class ResendForm(forms.Form):
    email = forms.EmailField(label="E-mail address")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name"]
        help_texts = {
            "display_name": "Shown next to your comments and on your profile; your username if empty."
        }

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        return name


class ChangeEmailForm(forms.Form):
    email = forms.EmailField(label="New e-mail address")
    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)

    def __init__(self, user, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email.lower() == (self.user.email or "").lower():
            raise forms.ValidationError("That is the address your account uses now.")
        if _email_taken(email, self.user.pk):
            raise forms.ValidationError("Another account uses this address.")
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)
    confirm = forms.BooleanField(
        label="I understand that my account, votes and comments are deleted and cannot be restored."
    )

    def __init__(self, user, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

from django.urls import path

from dailypapers.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup", views.signup, name="signup"),
    path("accounts/signup/sent", views.signup_sent, name="signup_sent"),
    path("accounts/verify/<str:token>", views.verify, name="verify"),
    path("accounts/resend", views.resend, name="resend"),
    path("accounts/login", views.LoginView.as_view(), name="login"),
    path("accounts/logout", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/reset", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/", views.account, name="account"),
    path("account/email", views.change_email, name="change_email"),
    path("account/password", views.change_password, name="change_password"),
    path("account/export.json", views.export, name="export"),
    path("account/delete", views.delete_account, name="delete"),
    path("about/privacy", views.privacy, name="privacy"),
]

"""A signed-in user's own account: password, second factor, API tokens, sessions."""

from django.urls import URLPattern, path

from itsm.accounts import security_views, views
from itsm.accounts.passwords import PasswordChangeView

app_name = "accounts"

urlpatterns: list[URLPattern] = [
    path("", views.SecurityView.as_view(), name="security"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path("sessions/end/", views.SignOutEverywhereView.as_view(), name="sign_out_everywhere"),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("mfa/", views.MfaView.as_view(), name="mfa"),
    path("mfa/verify/", views.MfaVerifyView.as_view(), name="mfa_verify"),
    # The security officers' pages (separation of duties, the 等保 self-check).
    path("roles/", security_views.UserRoleListView.as_view(), name="role_list"),
    path("users/<int:pk>/roles/", security_views.UserRolesView.as_view(), name="user_roles"),
    path("self-check/", security_views.SelfCheckView.as_view(), name="self_check"),
    path("self-check.pdf", security_views.SelfCheckPdfView.as_view(), name="self_check_pdf"),
]

from django.urls import path

from . import views

app_name = "accounts_api"

urlpatterns = [
    path("auth/register/", views.RegisterApi.as_view(), name="register"),
    path("auth/token/", views.TokenObtainApi.as_view(), name="token"),
    path("auth/token/refresh/", views.TokenRefreshApi.as_view(), name="token_refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="logout"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/addresses/", views.AddressListCreateApi.as_view(), name="addresses"),
    path("me/addresses/<int:address_id>/", views.AddressDetailApi.as_view(), name="address"),
    path(
        "me/addresses/<int:address_id>/make-primary/",
        views.AddressMakePrimaryApi.as_view(),
        name="address_make_primary",
    ),
    path("me/preferences/", views.PreferencesApi.as_view(), name="preferences"),
    path("me/sessions/", views.SessionListApi.as_view(), name="sessions"),
    path("me/sessions/<int:session_id>/", views.SessionEndApi.as_view(), name="session"),
    # Notifications (the in-app ones of the outbox, common.inbox)
    path("me/notifications/", views.NotificationListApi.as_view(), name="notifications"),
    path("me/notifications/read-all/", views.NotificationsReadAllApi.as_view(), name="notifications_read_all"),
    path("me/notifications/<int:notification_id>/read/", views.NotificationReadApi.as_view(), name="notification_read"),
]

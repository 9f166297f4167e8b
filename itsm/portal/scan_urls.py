"""The short URL printed in the QR labels: `/r/<code>`, no trailing slash, so the code
stays small and easy to type when a camera cannot read the label. `path:` because nothing
stops an administrator from giving an item a code with a slash (`NET/SW-01`)."""

from django.urls import URLPattern, path

from itsm.portal.scan import ScanReportView

app_name = "scan"
urlpatterns: list[URLPattern] = [
    path("<path:code>", ScanReportView.as_view(), name="report"),
]

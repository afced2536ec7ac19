from django.urls import path

from leadflow.api import api
from tests.scoped_app import views
from tests.scoped_app.api import router

api.add_router("/memos", router)

from leadflow.urls import handler403, handler404, handler500  # noqa: E402, F401
from leadflow.urls import urlpatterns as leadflow_urls  # noqa: E402 - after the router is added

urlpatterns = [
    *leadflow_urls,
    path("memos/", views.memo_list, name="memo_list"),
    path("memos/<int:memo_id>/", views.memo_detail, name="memo_detail"),
]

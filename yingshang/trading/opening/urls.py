from django.urls import path

from yingshang.trading.opening import views

app_name = "opening"

urlpatterns = [
    path("", views.hall_list, name="list"),
    path("<int:session_id>/", views.hall, name="hall"),
    path("<int:session_id>/live/", views.hall_live, name="live"),
    path("<int:session_id>/stream", views.stream, name="stream"),
    # the viewer's controls (one service each)
    path("<int:session_id>/sign-in/", views.sign_in, name="sign_in"),
    path("<int:session_id>/configure/", views.configure, name="configure"),
    path("<int:session_id>/control-price/", views.control_price, name="control_price"),
    path("<int:session_id>/coefficient-draw/", views.coefficient_draw, name="coefficient_draw"),
    path(
        "<int:session_id>/coefficient-draw/contribution/",
        views.coefficient_contribution,
        name="coefficient_contribution",
    ),
    path("<int:session_id>/coefficient-draw/result/", views.coefficient_result, name="coefficient_result"),
    path("<int:session_id>/decryption/", views.start_decryption, name="start_decryption"),
    path("<int:session_id>/close-window/", views.close_window, name="close_window"),
    path("<int:session_id>/confirming/", views.put_to_bidders, name="put_to_bidders"),
    path("<int:session_id>/pause/", views.pause, name="pause"),
    path("<int:session_id>/resume/", views.resume, name="resume"),
    path("<int:session_id>/finish/", views.finish, name="finish"),
    path("<int:session_id>/key/", views.release_key, name="release_key"),
    path("<int:session_id>/confirm/", views.confirm, name="confirm"),
    path("<int:session_id>/objections/", views.raise_objection, name="raise_objection"),
    path(
        "<int:session_id>/objections/<int:objection_id>/answer/",
        views.answer,
        name="answer",
    ),
]

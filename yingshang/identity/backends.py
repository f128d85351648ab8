from django.contrib.auth.backends import ModelBackend


class PasswordBackend(ModelBackend):
    pass

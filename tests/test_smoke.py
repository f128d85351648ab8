import pytest
from django.test import Client


@pytest.mark.django_db
def test_home_page_renders_in_chinese_by_default(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.content.decode()

//! Registrable domains (eTLD+1) and the currency a domain suggests.

use engine::merchant::{currency_hint, registrable_domain};

#[test]
fn registrable_domain_follows_the_public_suffix_list() {
    let cases = [
        (
            "https://www.amazon.co.uk/dp/B07C8KMQQ6",
            Some("amazon.co.uk"),
        ),
        ("https://WWW.Amazon.COM/gp/x?y=1#z", Some("amazon.com")),
        (
            "https://pokupki.market.yandex.ru/product/1",
            Some("yandex.ru"),
        ),
        (
            "https://www.stockcenter.com.ar/botines",
            Some("stockcenter.com.ar"),
        ),
        (
            "https://www.pcstore.com.tw/powerbus/M1.htm",
            Some("pcstore.com.tw"),
        ),
        ("manchester.craigslist.org/app/d/x", Some("craigslist.org")),
        ("http://shop.example.com:8080/", Some("example.com")),
        (
            "https://user:pw@sub.shop.example.co.jp./x",
            Some("example.co.jp"),
        ),
        ("https://foo.github.io/bar", Some("foo.github.io")),
        ("http://192.168.1.10:3000/cart", Some("192.168.1.10")),
        ("http://[2001:db8::1]/x", Some("2001:db8::1")),
        ("https://co.uk/", None),
        ("mailto:shop@example.com", None),
        ("file:///home/me/page.html", None),
        ("about:blank", None),
        ("", None),
        ("https:///nohost", None),
    ];
    for (url, want) in cases {
        assert_eq!(registrable_domain(url).as_deref(), want, "{url}");
    }
}

#[test]
fn country_code_domains_hint_their_currency() {
    let cases = [
        ("amazon.co.uk", Some("GBP")),
        ("https://www.amazon.in/x", Some("INR")),
        ("https://www.leroymerlin.pl/x", Some("PLN")),
        ("https://www.paris.cl/x", Some("CLP")),
        ("https://www.stockcenter.com.ar/x", Some("ARS")),
        ("https://www.bestbuy.ca/x", Some("CAD")),
        ("https://www.pcstore.com.tw/x", Some("TWD")),
        ("https://www.zalando.ie/x", Some("EUR")),
        ("https://www.amazon.com/x", None),
        ("https://www.mercadolibre.com.co/x", Some("COP")),
        ("https://startup.io/x", None),
        ("http://10.0.0.1/", None),
    ];
    for (url, want) in cases {
        assert_eq!(currency_hint(url).map(|c| c.code()), want, "{url}");
    }
}

//! GraphiQL is served by the binary itself: no external URL in the page or its loader, and
//! every asset the page references is served.

use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_page_is_self_contained() {
    let app = TestApp::start(Backend::Sqlite).await.expect("SQLite");
    for path in ["/", "/graphiql"] {
        let response = app.http().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        let page = response.text().await.unwrap();
        assert!(
            !page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"),
            "{page}"
        );

        let assets: Vec<&str> = page
            .split(['"', '\''])
            .filter(|part| part.starts_with("/graphiql/assets/"))
            .collect();
        assert_eq!(
            assets.len(),
            5,
            "stylesheet, React, ReactDOM, GraphiQL, loader: {assets:?}"
        );
        for asset in assets {
            let response = app.http().get(app.url(asset)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{asset}");
            let body = response.bytes().await.unwrap();
            assert!(body.len() > 100, "{asset} is empty");
            if asset.ends_with("init.js") {
                let text = String::from_utf8_lossy(&body);
                assert!(
                    !text.contains("http://") && !text.contains("https://"),
                    "{text}"
                );
                assert!(text.contains("/graphql"));
            }
        }
    }
    let response = app
        .http()
        .get(app.url("/graphiql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    app.stop().await;
}

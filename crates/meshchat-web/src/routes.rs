//! The route table: every route is added through [`Routes`], which keeps
//! the list of (method, path) it registered. The CSRF test walks that list,
//! so a route added later is tested without anyone remembering to.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing;

use crate::AppState;

/// A router and the (method, path) pairs it was built from.
#[derive(Debug)]
pub(crate) struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str)>,
}

macro_rules! method {
    ($name:ident, $method:ident) => {
        pub(crate) fn $name<H, T>(mut self, path: &'static str, handler: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.router = self.router.route(path, routing::$name(handler));
            self.list.push((Method::$method, path));
            self
        }
    };
}

impl Routes {
    pub(crate) fn new() -> Self {
        Routes {
            router: Router::new(),
            list: Vec::new(),
        }
    }

    method!(get, GET);
    method!(post, POST);
    method!(patch, PATCH);
    method!(delete, DELETE);

    pub(crate) fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.list.extend(other.list);
        self
    }

    pub(crate) fn into_parts(self) -> (Router<AppState>, Vec<(Method, &'static str)>) {
        (self.router, self.list)
    }
}

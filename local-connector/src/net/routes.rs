//! A router that keeps the list of its own routes, so that tests can sweep
//! every route a listener serves (with no credentials, or another printer's)
//! and a route added later cannot escape the sweep.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, delete, get, post};

/// One route: its method and path (axum syntax, `{id}` for a parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The path.
    pub path: &'static str,
}

/// An axum router being built, with the routes added so far.
#[derive(Debug)]
pub struct Routes<S> {
    router: Router<S>,
    table: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes { router: Router::new(), table: Vec::new() }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// No routes yet.
    pub fn new() -> Routes<S> {
        Routes::default()
    }

    fn add(mut self, method: &'static str, path: &'static str, m: MethodRouter<S>) -> Routes<S> {
        self.router = self.router.route(path, m);
        self.table.push(Route { method, path });
        self
    }

    /// `GET path`.
    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &'static str, h: H) -> Routes<S> {
        self.add("GET", path, get(h))
    }

    /// `POST path`.
    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &'static str, h: H) -> Routes<S> {
        self.add("POST", path, post(h))
    }

    /// `DELETE path`.
    pub fn delete<H: Handler<T, S>, T: 'static>(self, path: &'static str, h: H) -> Routes<S> {
        self.add("DELETE", path, delete(h))
    }

    /// Both sets of routes.
    pub fn merge(mut self, other: Routes<S>) -> Routes<S> {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The routes, in the order added.
    pub fn table(&self) -> &[Route] {
        &self.table
    }

    /// The router.
    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

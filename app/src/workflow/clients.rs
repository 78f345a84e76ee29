//! Clients: the list, a new client (or the one that already has its id), one
//! client with its requests, and the client editor's save.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::merge::SectionView;

pub use model::clients::{Client, ClientFields, NewClient};
use model::requests::Request;

#[cfg(feature = "ssr")]
use super::ssr;

/// The client page: the client and their requests, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientDetail {
    pub client: Client,
    pub requests: Vec<Request>,
}

#[server(prefix = "/sfn", endpoint = "list_clients")]
pub async fn list_clients(query: String) -> Result<Vec<Client>, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::clients::search(&mut conn, &query).await?)
}

/// Creates a client, or opens the one that already has this id.
#[server(prefix = "/sfn", endpoint = "create_client")]
pub async fn create_client(client: NewClient) -> Result<Client, AppError> {
    let (state, user) = ssr::staff().await?;
    let created = server::clients::create(&state.pool, user.id.into(), &client).await?;
    let view = created.client;
    let notice = if created.created { "" } else { "?existing=1" };
    crate::ssr::redirect(&format!("/staff/clients/{}{notice}", view.id));
    Ok(view)
}

#[server(prefix = "/sfn", endpoint = "get_client")]
pub async fn get_client(id: String) -> Result<ClientDetail, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let client = server::clients::find(&mut conn, &id).await?.ok_or(AppError::NotFound)?;
    let requests = server::requests::for_client(&mut conn, &id).await?;
    Ok(ClientDetail { client, requests })
}

/// Saves a client's details if they are still at `version`.
#[server(prefix = "/sfn", endpoint = "update_client")]
pub async fn update_client(id: String, version: i32, client: ClientFields) -> Result<SectionView, AppError> {
    let (state, user) = ssr::staff().await?;
    let saved = server::clients::update(&state.pool, user.id.into(), &id, version, &client).await?;
    Ok(SectionView::of(&saved))
}

//! Noticing that a client went away while its request runs, through a second handle on the
//! connection's socket.

use actix_web::HttpRequest;

/// A second handle on a connection's socket, kept with the connection, to notice the client
/// going away while its request runs (actix-web does not tell a handler).
struct PeerSocket(socket2::Socket);

/// Keeps a [`PeerSocket`] for every TCP connection (called by actix-web once per connection).
pub fn remember_peer(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Ok(socket) = socket2::SockRef::from(stream).try_clone()
    {
        data.insert(PeerSocket(socket));
    }
}

/// Resolves when the client has closed its connection (or reset it); never otherwise, and
/// never when the connection is unknown or the client sends more data (pipelining).
pub(super) async fn client_gone(req: &HttpRequest) {
    let probe = req
        .conn_data::<PeerSocket>()
        .and_then(|peer| peer.0.try_clone().ok())
        .and_then(|socket| tokio::net::TcpStream::from_std(socket.into()).ok());
    let Some(probe) = probe else {
        return std::future::pending().await;
    };
    let mut byte = [0u8; 1];
    match probe.peek(&mut byte).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}

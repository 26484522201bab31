//! Organising conversations: pins, folders, and the bulk actions (mark read,
//! delete, move to a folder) of the conversation list.

use meshchat_store::Folder;
use rns_crypto::DestinationHash;

use super::IdentityContext;
use crate::error::CoreError;

/// Conversations one bulk request may name.
pub const MAX_BULK: usize = 1000;
/// The longest folder name taken.
pub const MAX_FOLDER_NAME: usize = 100;

fn folder_name(name: &str) -> Result<String, CoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::InvalidInput("Name is required".into()));
    }
    if name.chars().count() > MAX_FOLDER_NAME {
        return Err(CoreError::InvalidInput(format!(
            "Name is longer than {MAX_FOLDER_NAME} characters"
        )));
    }
    Ok(name.to_owned())
}

fn bulk(peers: &[DestinationHash]) -> Result<Vec<String>, CoreError> {
    if peers.len() > MAX_BULK {
        return Err(CoreError::InvalidInput(format!(
            "At most {MAX_BULK} conversations at once"
        )));
    }
    Ok(peers.iter().map(ToString::to_string).collect())
}

impl IdentityContext {
    /// Pinned conversations, most recently pinned first.
    pub async fn pins(&self) -> Result<Vec<String>, CoreError> {
        self.store(|s| s.pins()).await
    }

    /// Pins or unpins a conversation; whether it is pinned now.
    pub async fn toggle_pin(&self, peer: DestinationHash) -> Result<bool, CoreError> {
        let peer = peer.to_string();
        self.store(move |s| s.toggle_pin(&peer)).await
    }

    pub async fn folders(&self) -> Result<Vec<Folder>, CoreError> {
        self.store(|s| s.folders()).await
    }

    /// Creates a folder; a name already taken is a conflict.
    pub async fn create_folder(&self, name: &str) -> Result<i64, CoreError> {
        let name = folder_name(name)?;
        let taken = name.clone();
        let id = self
            .store(move |s| {
                if s.folders()?.iter().any(|f| f.name == taken) {
                    return Ok(None);
                }
                s.create_folder(&taken).map(Some)
            })
            .await?;
        id.ok_or_else(|| CoreError::Conflict(format!("A folder named {name} exists")))
    }

    pub async fn rename_folder(&self, id: i64, name: &str) -> Result<(), CoreError> {
        let name = folder_name(name)?;
        let taken = name.clone();
        let outcome = self
            .store(move |s| {
                let folders = s.folders()?;
                if folders.iter().any(|f| f.name == taken && f.id != id) {
                    return Ok(Err(()));
                }
                s.rename_folder(id, &taken).map(Ok)
            })
            .await?;
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => Err(CoreError::NotFound(format!("No folder {id}"))),
            Err(()) => Err(CoreError::Conflict(format!("A folder named {name} exists"))),
        }
    }

    pub async fn delete_folder(&self, id: i64) -> Result<(), CoreError> {
        if self.store(move |s| s.delete_folder(id)).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound(format!("No folder {id}")))
        }
    }

    /// Puts conversations in a folder (`None`: out of any); an unknown
    /// folder is not found.
    pub async fn move_to_folder(
        &self,
        peers: &[DestinationHash],
        folder: Option<i64>,
    ) -> Result<(), CoreError> {
        let peers = bulk(peers)?;
        let moved = self
            .store(move |s| {
                if let Some(id) = folder
                    && !s.folders()?.iter().any(|f| f.id == id)
                {
                    return Ok(false);
                }
                let refs: Vec<&str> = peers.iter().map(String::as_str).collect();
                s.move_to_folder(&refs, folder).map(|()| true)
            })
            .await?;
        if moved {
            Ok(())
        } else {
            Err(CoreError::NotFound(format!(
                "No folder {}",
                folder.unwrap_or_default()
            )))
        }
    }

    pub async fn mark_read_many(&self, peers: &[DestinationHash]) -> Result<(), CoreError> {
        let peers = bulk(peers)?;
        self.store(move |s| peers.iter().try_for_each(|p| s.mark_read(p)))
            .await
    }

    /// Deletes the conversations' messages; how many.
    pub async fn delete_conversations(
        &self,
        peers: &[DestinationHash],
    ) -> Result<usize, CoreError> {
        let peers = bulk(peers)?;
        self.store(move |s| {
            peers
                .iter()
                .try_fold(0, |n, p| Ok(n + s.delete_conversation(p)?))
        })
        .await
    }
}
